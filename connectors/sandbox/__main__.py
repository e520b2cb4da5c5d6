"""`python -m connectors.sandbox --seed S --scale X --port P`: serve all five emulators."""

from __future__ import annotations

import argparse

import uvicorn

from connectors.sandbox import create_sandbox_apps, mount_sandbox, render_firm
from connectors.sandbox.firm import generate_firm


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Serve the emulated source systems.")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8100)
    args = parser.parse_args(argv)
    data = render_firm(generate_firm(args.seed, args.scale), args.seed)
    app = mount_sandbox(create_sandbox_apps(data))
    for name in data.records:
        print(f"  {name:<11} http://{args.host}:{args.port}/{name}")
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
