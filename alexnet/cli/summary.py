"""``python -m alexnet summary``: torchinfo's layer summary, as a table or JSON."""

from __future__ import annotations

import argparse
import json

from alexnet.cli.options import load_config
from alexnet.errors import AlexNetError


def run(args: argparse.Namespace) -> int:
    from alexnet.inspect.summary import summarize
    from alexnet.network.memory import apply_memory_budget

    apply_memory_budget(args.memory_budget)
    config = load_config(args)
    try:
        summary = summarize(config)
    except AlexNetError as error:
        if "memory budget" in error.reason:  # the arithmetic still works: say where to find it
            error.fix = f"{error.fix} `python -m alexnet shapes` prints every layer's shape without a real pass."
        raise
    if not args.json:
        print(summary.text)
        return 0
    data = {
        "total_params": summary.total_params,
        "trainable_params": summary.trainable_params,
        "total_mult_adds": summary.total_mult_adds,
        "input_bytes": summary.input_bytes,
        "forward_backward_bytes": summary.forward_backward_bytes,
        "param_bytes": summary.param_bytes,
        "layers": [
            {
                "name": row.name,
                "module": row.module,
                "type": row.layer_type,
                "depth": row.depth,
                "output_shape": list(row.output_shape),
                "params": row.params,
                "mult_adds": row.mult_adds,
                "trainable": row.trainable,
            }
            for row in summary.rows
        ],
    }
    print(json.dumps(data, indent=2))
    return 0
