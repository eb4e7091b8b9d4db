"""Generate synthetic plans with deep history, for benchmarks and for trying pages at scale."""

import json
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from recommendations.generate import DEFAULT_PASSWORD, DemoSize, generate


class Command(BaseCommand):
    help = (
        "Generate realistic synthetic plans: owners with accounts, recommendations, "
        "sub-recommendations, an update in every period edited several times, sign-off and "
        "moved deadlines, all with history. Accounts share one password (local use only)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--plans", type=int, default=3)
        parser.add_argument("--recommendations", type=int, default=10, help="Per plan.")
        parser.add_argument("--subs", type=int, default=2, help="Per recommendation.")
        parser.add_argument("--periods", type=int, default=4, help="Reporting periods per plan.")
        parser.add_argument(
            "--edits", type=int, default=2, help="Edits of each update after its first draft."
        )
        parser.add_argument("--seed", type=int, default=1, help="Same seed, same data.")
        parser.add_argument("--password", default=DEFAULT_PASSWORD)
        parser.add_argument(
            "--summary", type=Path, help="Also write what was made (accounts, counts) as JSON."
        )

    def handle(self, *args, **options):
        try:
            size = DemoSize(
                plans=options["plans"],
                recommendations=options["recommendations"],
                subs=options["subs"],
                periods=options["periods"],
                edits=options["edits"],
            )
        except ValueError as error:
            raise CommandError(str(error)) from None
        started = time.perf_counter()
        try:
            result = generate(
                size,
                seed=options["seed"],
                password=options["password"],
                progress=lambda message: (
                    self.stdout.write(message) if options["verbosity"] else None
                ),
            )
        except ValueError as error:
            raise CommandError(str(error)) from None
        seconds = time.perf_counter() - started
        summary = result.as_dict() | {"seconds": round(seconds, 1)}
        if options["summary"]:
            options["summary"].parent.mkdir(parents=True, exist_ok=True)
            options["summary"].write_text(json.dumps(summary, indent=2))
        self.stdout.write(
            self.style.SUCCESS(
                f"Generated {size.plans} plans, {result.counts['recommendation']} recommendations, "
                f"{result.counts['statusupdate']} updates and {result.history_rows} history rows "
                f"in {seconds:.1f} s."
            )
        )
        self.stdout.write(
            f"Largest plan: {result.largest_plan}. Sign in as {result.leads[0]} (lead) or "
            f"{result.executives[0]} (executive) with the password {result.password!r}."
        )
