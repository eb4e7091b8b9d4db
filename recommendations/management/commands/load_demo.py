from django.core.management.base import BaseCommand
from django.utils import timezone

from recommendations import demo, national_demo


class Command(BaseCommand):
    help = "Load the demo plan (the published stalking super-complaint plan) and demo accounts."

    def add_arguments(self, parser):
        parser.add_argument(
            "--no-accounts", action="store_true", help="Load the plan without demo accounts."
        )
        parser.add_argument(
            "--national",
            action="store_true",
            help='Also load fictional forces ("Example Force 1"...) answering the same report, '
            "and a National account: the national demonstration.",
        )

    def handle(self, *args, no_accounts: bool = False, national: bool = False, **options):
        accounts = {} if no_accounts else demo.load_accounts()
        if accounts:
            self.stdout.write(f"Demo accounts ready: {', '.join(sorted(accounts))}.")
        plan = demo.load_plan(accounts=accounts, by=accounts.get("admin"))
        if plan is None:
            self.stdout.write("The demo plan is already loaded.")
            plan = demo.demo_plan()
        else:
            self.stdout.write(self.style.SUCCESS(f"Loaded the demo plan: {plan.title}."))
        added = demo.ensure_current_period(
            plan, today=timezone.localdate(), by=accounts.get("admin")
        )
        if added is not None:
            self.stdout.write(f"Added a reporting period for now: {added.label}.")
        if national:
            made = national_demo.load_forces(plan, by=accounts.get("admin"))
            self.stdout.write(
                self.style.SUCCESS(f"Loaded {len(made)} fictional forces answering its report.")
                if made
                else "The fictional forces are already loaded."
            )
            if not no_accounts:
                national_demo.load_national_account()
                self.stdout.write("National demo account ready: national.")
