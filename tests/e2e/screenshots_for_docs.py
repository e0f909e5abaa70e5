"""Copy the browser tests' latest product-page screenshots into docs/, small.

Run after `make test` (or `pytest tests/e2e`): `make screenshots`.
"""

from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "test-output" / "screenshots"
TARGET = ROOT / "docs" / "screenshots"
WIDTHS = {"product-desktop": 640, "product-mobile": 260}


def main():
    TARGET.mkdir(exist_ok=True)
    for name, width in WIDTHS.items():
        with Image.open(SOURCE / f"{name}.png") as shot:
            height = round(shot.height * width / shot.width)
            small = shot.convert("RGB").resize((width, height), Image.Resampling.LANCZOS)
            small.save(TARGET / f"{name}.webp", quality=80)
        print(f"docs/screenshots/{name}.webp: {width}x{height}")


if __name__ == "__main__":
    main()
