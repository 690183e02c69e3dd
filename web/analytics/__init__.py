"""Analytics: events recorded per conversation turn, SQL queries over them, the /admin/analytics page."""
