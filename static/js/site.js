// Site-wide behaviour. Everything works without it; it only improves the small-screen menu.
(() => {
  const toggle = document.querySelector(".site-nav__toggle");
  const nav = document.getElementById("site-nav");
  if (!toggle || !nav) return;
  toggle.addEventListener("click", () => {
    const open = toggle.getAttribute("aria-expanded") === "true";
    toggle.setAttribute("aria-expanded", String(!open));
    nav.classList.toggle("is-open", !open);
  });
})();
