"""PyTorch reference of the SimCLR training step in benches/train_step.rs.

Runs one workload per process and prints one line,
`workload=<name> impl=pytorch seconds_per_step=<s> views_per_s=<rate>
peak_rss_mib=<m> worker_peak_rss_mib=<m> steps=<n>`, where seconds_per_step
is the median over the timed steps after warm-up, peak_rss_mib is the
process's maximum resident set size and worker_peak_rss_mib that of its
largest DataLoader worker (0 outside the pipeline workload).

Usage: python bench/pytorch_step.py WORKLOAD
WORKLOAD is one of r18-cifar, r18w4-cifar, r50-imagenet96, pipeline.
TRAIN_BENCH_STEPS sets the timed steps (default 5) and
TRAIN_BENCH_WARMUP the untimed ones before them (default 1). The
pipeline workload times one whole epoch instead.

Needs torch and torchvision (`pip install torch torchvision`) and numpy.
"""

import gzip
import os
import resource
import statistics
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torchvision.models.resnet import BasicBlock, Bottleneck, ResNet
from torchvision.transforms import v2

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
FASHION_MNIST = os.path.join(ROOT, "assets", "fashion-mnist-subset")
THREADS = 2
TEMPERATURE = 0.5
PROJECTION_DIM = 128

# (arch, width multiplier, stem, image side, images per batch)
WORKLOADS = {
    "r18-cifar": ("resnet18", 1.0, "cifar", 32, 128),
    "r18w4-cifar": ("resnet18", 0.25, "cifar", 32, 128),
    "r50-imagenet96": ("resnet50", 1.0, "imagenet", 96, 32),
    "pipeline": ("resnet18", 0.25, "cifar", 28, 256),
}


def encoder(arch, width, stem):
    """Builds a torchvision ResNet without its classifier, every width
    scaled by `width` (the first stage has round(64 * width) channels)."""
    block, layers = {
        "resnet18": (BasicBlock, [2, 2, 2, 2]),
        "resnet50": (Bottleneck, [3, 4, 6, 3]),
    }[arch]
    base = max(1, round(64 * width))
    model = ResNet(block, layers)
    # Rebuild the stages at the scaled width; ResNet's constructor fixes 64.
    model.inplanes = base
    model.conv1 = nn.Conv2d(3, base, 7, 2, 3, bias=False)
    model.bn1 = nn.BatchNorm2d(base)
    model.layer1 = model._make_layer(block, base, layers[0])
    model.layer2 = model._make_layer(block, base * 2, layers[1], stride=2)
    model.layer3 = model._make_layer(block, base * 4, layers[2], stride=2)
    model.layer4 = model._make_layer(block, base * 8, layers[3], stride=2)
    if stem == "cifar":
        model.conv1 = nn.Conv2d(3, base, 3, 1, 1, bias=False)
        model.maxpool = nn.Identity()
    model.fc = nn.Identity()
    for module in model.modules():
        if isinstance(module, nn.Conv2d):
            nn.init.kaiming_normal_(module.weight, mode="fan_out", nonlinearity="relu")
    return model, base * 8 * block.expansion


class Simclr(nn.Module):
    def __init__(self, arch, width, stem):
        super().__init__()
        self.encoder, dim = encoder(arch, width, stem)
        # Two-layer MLP head: hidden size = representation size, output 128.
        self.head = nn.Sequential(
            nn.Linear(dim, dim), nn.ReLU(inplace=True), nn.Linear(dim, PROJECTION_DIM)
        )

    def forward(self, x):
        return self.head(self.encoder(x))


def nt_xent(z, temperature):
    """NT-Xent over 2B embeddings laid out as all first views, then all
    second views; the positive of row i is row (i + B) mod 2B."""
    n = z.shape[0] // 2
    z = F.normalize(z, dim=1)
    logits = z @ z.t() / temperature
    logits = logits.masked_fill(torch.eye(2 * n, dtype=torch.bool), float("-inf"))
    targets = torch.cat([torch.arange(n, 2 * n), torch.arange(0, n)])
    return F.cross_entropy(logits, targets)


class Lars(torch.optim.Optimizer):
    """LARS as google-research/simclr: weight decay and the trust ratio
    eeta * ||w|| / ||g|| apply to parameters of rank 2 and more; biases and
    BatchNorm parameters get a plain momentum step."""

    def __init__(self, params, lr, momentum=0.9, weight_decay=1e-6, eeta=0.001):
        super().__init__(params, dict(lr=lr, momentum=momentum, weight_decay=weight_decay, eeta=eeta))

    @torch.no_grad()
    def step(self):
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                grad = p.grad
                if p.ndim > 1:
                    grad = grad + group["weight_decay"] * p
                    w_norm, g_norm = torch.linalg.norm(p), torch.linalg.norm(grad)
                    trust = torch.where(
                        (w_norm > 0) & (g_norm > 0), group["eeta"] * w_norm / g_norm, 1.0
                    )
                    grad = grad * trust
                state = self.state[p]
                velocity = state.get("velocity")
                update = grad * group["lr"]
                velocity = update if velocity is None else velocity.mul_(group["momentum"]).add_(update)
                state["velocity"] = velocity
                p.sub_(velocity)


def train_step(model, optimizer, views):
    optimizer.zero_grad(set_to_none=True)
    loss = nt_xent(model(views), TEMPERATURE)
    loss.backward()
    optimizer.step()
    return loss


def read_idx_images(path):
    with gzip.open(path, "rb") as f:
        raw = f.read()
    count, rows, cols = (int.from_bytes(raw[i : i + 4], "big") for i in (4, 8, 12))
    return np.frombuffer(raw, dtype=np.uint8, offset=16).reshape(count, rows, cols)


class TwoViews(torch.utils.data.Dataset):
    """Fashion-MNIST images as 3-channel float views in [0, 1], two views
    per image with SimCLR's augmentation (color strength 0.5, no blur)."""

    def __init__(self, side):
        self.images = read_idx_images(os.path.join(FASHION_MNIST, "train-images-idx3-ubyte.gz"))
        strength = 0.5
        jitter = v2.ColorJitter(0.8 * strength, 0.8 * strength, 0.8 * strength, 0.2 * strength)
        self.transform = v2.Compose(
            [
                v2.RandomResizedCrop(side, scale=(0.08, 1.0), antialias=True),
                v2.RandomHorizontalFlip(),
                v2.RandomApply([jitter], p=0.8),
                v2.RandomGrayscale(p=0.2),
            ]
        )

    def __len__(self):
        return len(self.images)

    def __getitem__(self, index):
        image = torch.from_numpy(self.images[index].copy()).float().div_(255.0)
        image = image.unsqueeze(0).expand(3, -1, -1)
        return self.transform(image), self.transform(image)


def run_pipeline(model, optimizer, side, batch):
    loader = torch.utils.data.DataLoader(
        TwoViews(side), batch_size=batch, shuffle=True, drop_last=True, num_workers=2,
        persistent_workers=False,
    )
    start = time.perf_counter()
    steps = 0
    for view_a, view_b in loader:
        train_step(model, optimizer, torch.cat([view_a, view_b]))
        steps += 1
    return time.perf_counter() - start, steps


def main():
    if len(sys.argv) != 2 or sys.argv[1] not in WORKLOADS:
        sys.exit(f"usage: {sys.argv[0]} WORKLOAD, one of {', '.join(WORKLOADS)}")
    name = sys.argv[1]
    arch, width, stem, side, batch = WORKLOADS[name]
    torch.set_num_threads(THREADS)
    torch.manual_seed(0)
    model = Simclr(arch, width, stem).train()
    optimizer = Lars(model.parameters(), lr=0.3 * batch / 256)

    if name == "pipeline":
        seconds, steps = run_pipeline(model, optimizer, side, batch)
        seconds_per_step = seconds / steps
    else:
        warmup = int(os.environ.get("TRAIN_BENCH_WARMUP", "1"))
        steps = int(os.environ.get("TRAIN_BENCH_STEPS", "5"))
        views = torch.rand(2 * batch, 3, side, side)
        times = []
        for step in range(warmup + steps):
            start = time.perf_counter()
            loss = train_step(model, optimizer, views)
            elapsed = time.perf_counter() - start
            if not torch.isfinite(loss):
                sys.exit(f"step {step}: loss is {loss.item()}")
            if step >= warmup:
                times.append(elapsed)
        seconds_per_step = statistics.median(times)
    # ru_maxrss is in KiB on Linux.
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    # The largest DataLoader worker, once the workers have exited.
    worker_peak_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(
        f"workload={name} impl=pytorch seconds_per_step={seconds_per_step:.4f} "
        f"views_per_s={2 * batch / seconds_per_step:.1f} peak_rss_mib={peak_mib:.0f} "
        f"worker_peak_rss_mib={worker_peak_mib:.0f} steps={steps}"
    )


if __name__ == "__main__":
    main()
