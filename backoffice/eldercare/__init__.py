"""Eldercare facilities (助餐, 日间照料, 养老院 …)."""
