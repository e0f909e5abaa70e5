// Gallery lightbox. Without JS every thumbnail is a plain link to its large image.
// With JS a click (or Enter) opens the image in a modal <dialog>: Escape or the close button
// closes it, arrow keys step through the gallery, and focus returns to the thumbnail.
(() => {
  const links = Array.from(document.querySelectorAll("[data-lightbox]"));
  if (!links.length) return;

  const dialog = document.createElement("dialog");
  dialog.className = "lightbox";
  dialog.setAttribute("aria-label", "Image viewer");
  dialog.innerHTML = `
    <button type="button" class="lightbox__close" aria-label="Close">×</button>
    <img class="lightbox__image" alt="">
    <p class="lightbox__nav">
      <button type="button" class="lightbox__prev" aria-label="Previous image">‹</button>
      <span class="lightbox__count" aria-live="polite"></span>
      <button type="button" class="lightbox__next" aria-label="Next image">›</button>
    </p>`;
  document.body.append(dialog);
  const image = dialog.querySelector(".lightbox__image");
  const count = dialog.querySelector(".lightbox__count");
  let current = 0;
  let opener = null;

  const show = (index) => {
    current = (index + links.length) % links.length;
    const link = links[current];
    const thumb = link.querySelector("picture img");
    image.src = link.href;
    image.alt = thumb ? thumb.alt : "";
    count.textContent = `${current + 1} / ${links.length}`;
  };

  links.forEach((link, index) => {
    link.addEventListener("click", (event) => {
      event.preventDefault();
      opener = link;
      show(index);
      dialog.showModal();
    });
  });
  dialog.querySelector(".lightbox__close").addEventListener("click", () => dialog.close());
  dialog.querySelector(".lightbox__prev").addEventListener("click", () => show(current - 1));
  dialog.querySelector(".lightbox__next").addEventListener("click", () => show(current + 1));
  dialog.addEventListener("keydown", (event) => {
    if (event.key === "ArrowLeft") show(current - 1);
    if (event.key === "ArrowRight") show(current + 1);
  });
  // A click on the backdrop (outside the image and buttons) closes the viewer.
  dialog.addEventListener("click", (event) => {
    if (event.target === dialog) dialog.close();
  });
  dialog.addEventListener("close", () => {
    image.removeAttribute("src");
    if (opener) opener.focus();
  });
})();
