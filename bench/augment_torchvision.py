"""Single-thread throughput of the SimCLR view pipeline in torchvision.

Does the same work as benches/augment_throughput.rs with
torchvision.transforms.v2 on float32 CHW tensors in [0, 1]: the CIFAR-10
sample records at output 32 (no blur) and the four photos at output 224
(blur on, kernel 23). Prints one line per setting,
`setting=<name> views=<n> seconds=<s> views_per_s=<rate>`.

AUGMENT_BENCH_SECONDS sets the time per setting (default 3).
"""

import os
import time

import numpy as np
import torch
from PIL import Image
from torchvision.transforms import v2

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
FIXTURES = os.path.join(ROOT, "tests", "fixtures")
PHOTOS = ["chelsea.png", "coffee.png", "astronaut.png", "rocket.jpg"]
RECORD_BYTES = 1 + 3 * 1024


def cifar_images():
    raw = np.fromfile(os.path.join(FIXTURES, "cifar10-sample", "test_batch.bin"), dtype=np.uint8)
    records = raw.reshape(-1, RECORD_BYTES)[:, 1:].reshape(-1, 3, 32, 32)
    return [torch.from_numpy(r.copy()).float() / 255.0 for r in records]


def photo_images():
    images = []
    for name in PHOTOS:
        array = np.asarray(Image.open(os.path.join(FIXTURES, "photos", name)).convert("RGB"))
        images.append(torch.from_numpy(array.copy()).permute(2, 0, 1).float() / 255.0)
    return images


def simclr_pipeline(size, blur, strength=1.0):
    s = strength
    steps = [
        v2.RandomResizedCrop(size, scale=(0.08, 1.0), antialias=True),
        v2.RandomHorizontalFlip(p=0.5),
        v2.RandomApply([v2.ColorJitter(0.8 * s, 0.8 * s, 0.8 * s, 0.2 * s)], p=0.8),
        v2.RandomGrayscale(p=0.2),
    ]
    if blur:
        # The same odd kernel size as the Rust pipeline: floor(0.1 * size), odd.
        kernel = int(0.1 * size)
        kernel += 1 - kernel % 2
        steps.append(v2.RandomApply([v2.GaussianBlur(kernel, sigma=(0.1, 2.0))], p=0.5))
    return v2.Compose(steps)


def measure(pipeline, images, seconds):
    for image in images:
        pipeline(image)
    views = 0
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        for _ in range(4):
            pipeline(images[views % len(images)])
            views += 1
    return views, time.perf_counter() - start


def main():
    torch.set_num_threads(1)
    torch.manual_seed(0)
    seconds = float(os.environ.get("AUGMENT_BENCH_SECONDS", "3"))
    settings = [("cifar32", 32, False, cifar_images()), ("photo224", 224, True, photo_images())]
    for name, size, blur, images in settings:
        views, elapsed = measure(simclr_pipeline(size, blur), images, seconds)
        print(f"setting={name} views={views} seconds={elapsed:.3f} views_per_s={views / elapsed:.1f}")


if __name__ == "__main__":
    main()
