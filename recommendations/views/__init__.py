"""Views, one module per area: plans (table, recommendation, updates, sign-off), and the others
named after what they serve."""
