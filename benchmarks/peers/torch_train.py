"""Peer: the frozen-layer experiment as a plain PyTorch CPU training loop.

    .torchvenv/bin/python benchmarks/peers/torch_train.py --data-dir DIR \\
        [--models lenet,lenet5] [--epochs-lenet 10] [--epochs-lenet5 15] \\
        [--train-images 55000] [--variants lenet5[none],lenet5[conv1]] \\
        [--threads 2]

Why it exists: benchmarks/speed.py compares the suite's cost with what a user
would otherwise write; this is the PyTorch answer, an idiomatic loop (data as float
tensors in memory, a fresh index permutation each epoch, batches by slicing). It trains,
one after another, each model's baseline ("MODEL[none]") and each weight layer
frozen alone at its random initial weights ("MODEL[LAYER]"), with the same recipe
as benchmarks/peers/keras_fit.py: Glorot-uniform kernels and zero biases (set
explicitly, as PyTorch's defaults differ), Adam at 2e-3 with cosine decay to 0 stepped
per batch, batch size 64, shuffled every epoch, cross-entropy, seed 0 before each
variant, ``--threads`` intra-op threads (default 2, this machine's cores).

Environment: a separate venv holding only torch and numpy, so that TensorFlow is not
installed beside it:
    python3 -m venv .torchvenv && .torchvenv/bin/pip install torch==2.13.0 numpy
The project is deliberately not installed there (its dependencies would pull in
TensorFlow), and this peer does not need it: the data are read and hash-checked by
``mnist.py`` beside it, which needs only numpy.

Output: one JSON line on stdout, nothing else there; logs go to stderr.
    {"framework": "torch", "versions": {...}, "threads": N, "runs": [{"variant",
     "epochs", "epoch_seconds", "train_images", "final_val_accuracy", "val_accuracy"},
     ...], "wall_seconds": ...}
An epoch's seconds include its validation pass, as in the Keras peer. ``wall_seconds``
runs from loading the data to the end of the last variant.
"""

from __future__ import annotations

import json
import math
import os
import platform
import time
from collections import OrderedDict

import numpy as np
import torch
from torch import nn

from mnist import load_mnist
from peer_cli import (BATCH_SIZE, LEARNING_RATE, PARAMETER_COUNTS, SEED, WEIGHT_LAYERS,
                      log, parse_args)


def build(model: str, frozen: str) -> nn.Sequential:
    """``model`` in NCHW layout, its layer named ``frozen`` (or none) not trainable.

    Outputs logits: ``nn.CrossEntropyLoss`` applies the softmax, the idiomatic
    equivalent of Keras' softmax layer plus sparse categorical cross-entropy.
    """
    if model == "lenet":
        layers = OrderedDict(
            conv1=nn.Conv2d(1, 20, 5), relu1=nn.ReLU(), pool1=nn.MaxPool2d(2),
            conv2=nn.Conv2d(20, 50, 5), relu2=nn.ReLU(), pool2=nn.MaxPool2d(2),
            flatten=nn.Flatten(),  # 50 x 4 x 4
            fc1=nn.Linear(800, 500), relu3=nn.ReLU(),
            out=nn.Linear(500, 10),
        )
    else:
        layers = OrderedDict(
            conv1=nn.Conv2d(1, 6, 5, padding=2), relu1=nn.ReLU(), pool1=nn.MaxPool2d(2),
            conv2=nn.Conv2d(6, 16, 5), relu2=nn.ReLU(), pool2=nn.MaxPool2d(2),
            flatten=nn.Flatten(),  # 16 x 5 x 5
            fc1=nn.Linear(400, 120), relu3=nn.ReLU(),
            fc2=nn.Linear(120, 84), relu4=nn.ReLU(),
            out=nn.Linear(84, 10),
        )
    net = nn.Sequential(layers)
    # Keras' initialisation, not PyTorch's default (Kaiming uniform, uniform biases).
    # Both compute Glorot fans as channels x kernel area, so the ranges match.
    for name in WEIGHT_LAYERS[model]:
        nn.init.xavier_uniform_(net.get_submodule(name).weight)
        nn.init.zeros_(net.get_submodule(name).bias)
    # Guards against a typo in the layers above silently changing the experiment.
    count = sum(p.numel() for p in net.parameters())
    assert count == PARAMETER_COUNTS[model], count
    if frozen != "none":
        net.get_submodule(frozen).requires_grad_(False)
    return net


@torch.no_grad()
def accuracy(net: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    net.eval()
    correct = 0
    # Batches of 64, as Keras validates (its validation batch size defaults to fit's).
    for i in range(0, len(x), BATCH_SIZE):
        correct += (net(x[i:i + BATCH_SIZE]).argmax(1) == y[i:i + BATCH_SIZE]).sum().item()
    return correct / len(x)


def train(variant: str, epochs: int, x, y, val_x, val_y) -> dict:
    model, frozen = variant[:-1].split("[")
    # Same seed before every variant, so each frozen layer keeps exactly the initial
    # weights its baseline started from.
    torch.manual_seed(SEED)
    net = build(model, frozen)
    # eps as Keras' Adam default (1e-7; PyTorch's is 1e-8), for the same recipe.
    optimizer = torch.optim.Adam([p for p in net.parameters() if p.requires_grad],
                                 lr=LEARNING_RATE, eps=1e-7)
    steps_per_epoch = math.ceil(len(x) / BATCH_SIZE)  # the last partial batch is kept
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(
        optimizer, T_max=epochs * steps_per_epoch, eta_min=0.0)
    loss_fn = nn.CrossEntropyLoss()

    seconds, curve = [], []
    for epoch in range(epochs):
        start = time.perf_counter()
        net.train()
        order = torch.randperm(len(x))
        for i in range(0, len(x), BATCH_SIZE):
            batch = order[i:i + BATCH_SIZE]
            optimizer.zero_grad()
            loss_fn(net(x[batch]), y[batch]).backward()
            optimizer.step()
            schedule.step()  # per batch, as Keras' CosineDecay counts steps
        curve.append(accuracy(net, val_x, val_y))
        seconds.append(time.perf_counter() - start)
        log(f"{variant} epoch {epoch + 1}: {seconds[-1]:.1f} s, "
            f"val_accuracy {curve[-1]:.4f}")
    return {"variant": variant, "epochs": epochs, "epoch_seconds": seconds,
            "train_images": len(x), "final_val_accuracy": curve[-1],
            "val_accuracy": curve}


def as_tensors(images: np.ndarray, labels: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
    """uint8 (n, 28, 28) -> float32 (n, 1, 28, 28) in [0, 1]; labels as int64."""
    x = torch.from_numpy(images).float().div_(255).unsqueeze(1)
    return x, torch.from_numpy(labels.astype(np.int64))


def main() -> None:
    args = parse_args(__doc__.splitlines()[0], threads=True)
    # Keep stdout for the one JSON line: anything else written to file descriptor 1
    # is sent to stderr instead.
    result_out = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)
    torch.set_num_threads(args.threads)

    start = time.perf_counter()
    d = load_mnist(args.data_dir)
    n = args.train_images
    x, y = as_tensors(d.train_images[:n], d.train_labels[:n])
    val_x, val_y = as_tensors(d.val_images, d.val_labels)
    epochs = {"lenet": args.epochs_lenet, "lenet5": args.epochs_lenet5}
    runs = [train(v, epochs[v.split("[")[0]], x, y, val_x, val_y) for v in args.variants]

    result = {
        "framework": "torch",
        "versions": {"python": platform.python_version(), "torch": torch.__version__,
                     "numpy": np.__version__},
        "threads": torch.get_num_threads(),
        "runs": runs,
        "wall_seconds": time.perf_counter() - start,
    }
    print(json.dumps(result), file=result_out, flush=True)


if __name__ == "__main__":
    main()
