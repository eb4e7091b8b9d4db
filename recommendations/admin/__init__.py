"""The admin: plans and what they hold (plans.py), and what spans organisations
(organisations.py). Every save goes through the services and into history with the signed-in
user."""

from . import accounts, organisations, plans

__all__ = ["accounts", "organisations", "plans"]
