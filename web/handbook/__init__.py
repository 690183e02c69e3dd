"""`/admin/handbook`: administrators edit the policy handbook (政策工具书) held by the back-office.

An edit is a PATCH to the back-office's handbook API; the bot's next answer uses it —
no retraining, no restart. Supervisors and administrators only (the console's login).
"""
