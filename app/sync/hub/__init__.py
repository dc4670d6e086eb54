"""The township sync hub: its tables, rules, HTTPS API and TLS certificate (DESIGN §4)."""
