from urllib.parse import urlsplit

from django.core.management.base import BaseCommand, CommandError

from recommendations import reminders

MAX_DAYS = 366


class Command(BaseCommand):
    help = (
        "Email each owner one digest of their updates due within N days (and late) and their "
        "overdue recommendations, and each executive one digest of the updates awaiting "
        "sign-off. Run it again the same day and only people with something new get another "
        "digest. Uses Django's email settings (EMAIL_BACKEND)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--days",
            type=int,
            default=reminders.DEFAULT_DAYS,
            help=f"How far ahead to look for return dates (default {reminders.DEFAULT_DAYS}).",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Print the emails instead of sending them; records nothing.",
        )
        parser.add_argument(
            "--base-url",
            default=None,
            help="Start of the links in the emails, e.g. https://plans.example.police.uk "
            f"(default: the SITE_URL setting, else {reminders.DEFAULT_SITE_URL}).",
        )

    def handle(self, *args, **options):
        days = options["days"]
        if not 0 <= days <= MAX_DAYS:
            raise CommandError(f"--days must be a whole number from 0 to {MAX_DAYS}, not {days}.")
        base_url = options["base_url"] or reminders.site_url()
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise CommandError(
                f"--base-url must be a web address starting http:// or https://, not {base_url!r}."
            )
        run = reminders.send_reminders(days=days, base_url=base_url, dry_run=options["dry_run"])
        verb = "Would send" if run.dry_run else "Sent"
        for digest, message in zip(run.sent, run.messages, strict=True):
            self.stdout.write(f"{verb} to {digest.email}: {digest.subject}")
            if run.dry_run:
                self.stdout.write(f"Subject: {message.subject}\n\n{message.body}")
        if options["verbosity"] > 1:
            for digest in run.already_sent:
                self.stdout.write(f"Already sent today to {digest.email}: {digest.subject}")
        for digest, reason in run.failed:
            self.stderr.write(f"Could not send to {digest.email}: {reason}")
        self.stdout.write(
            f"{verb} {len(run.sent)} digest{'' if len(run.sent) == 1 else 's'}; "
            f"{len(run.already_sent)} already sent today with nothing new."
        )
        if run.failed:
            raise CommandError(
                f"{len(run.failed)} digest{'' if len(run.failed) == 1 else 's'} could not be "
                "sent and will be tried again on the next run."
            )
