"""Row (a)'s code: the plain fp32 loop a learner writes, run as its own script in a child process.

It speaks the same line protocol as the trainer rows' worker (``alexnet.bench.worker``): "ready",
then for each number of steps read from stdin, one JSON line with their seconds.

A learner's loop as they would write it: the network spelled out as nn.Sequential with PyTorch's
own LRN, PyTorch's default init, SGD with momentum, one batch of random images per step. It reads
commands on stdin ("<steps>" runs that many steps and prints their seconds; "quit" ends it).
"""

BASELINE_SCRIPT = r"""
import json, sys, time
import torch
from torch import nn

net, batch = json.loads(sys.argv[1]), int(sys.argv[2])
device = "cuda" if torch.cuda.is_available() else "cpu"
act = nn.Tanh if net.get("activation") == "tanh" else lambda: nn.ReLU(inplace=True)
layers, channels = [], net["in_channels"]
for b in net["blocks"]:
    layers += [nn.Conv2d(channels, b["out_channels"], b["kernel_size"], b["stride"], b["padding"], groups=b["groups"]),
               act()]
    if b["norm"]:
        lrn = net["lrn"]
        layers.append(nn.LocalResponseNorm(lrn["size"], alpha=lrn["alpha"], beta=lrn["beta"], k=lrn["k"]))
    if b["pool"]:
        layers.append(nn.MaxPool2d(b["pool_kernel"], b["pool_stride"], b["pool_padding"]))
    channels = b["out_channels"]
layers.append(nn.AdaptiveAvgPool2d(net["adaptive_pool"]) if net["adaptive_pool"] else nn.Identity())
layers.append(nn.Flatten())
with torch.no_grad():
    width = nn.Sequential(*layers)(torch.zeros(1, net["in_channels"], net["input_size"], net["input_size"])).shape[1]
for hidden in net["hidden_sizes"]:
    layers += [nn.Dropout(net["dropout"]), nn.Linear(width, hidden), act()]
    width = hidden
layers.append(nn.Linear(width, net["num_classes"]))
model = nn.Sequential(*layers).to(device)
optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
loss_fn = nn.CrossEntropyLoss()
images = torch.randn(batch, net["in_channels"], net["input_size"], net["input_size"], device=device)
labels = torch.randint(0, net["num_classes"], (batch,), device=device)
print("ready", flush=True)
for line in sys.stdin:
    if line.strip() == "quit":
        break
    start = time.perf_counter()
    for _ in range(int(line)):
        optimizer.zero_grad()
        loss = loss_fn(model(images), labels)
        loss.backward()
        optimizer.step()
    loss.item()  # waits for a GPU to finish
    print(json.dumps({"seconds": time.perf_counter() - start}), flush=True)
"""
