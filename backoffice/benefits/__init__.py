"""Benefits paid on application: 惠民殡葬 (funeral) and 残疾人两项补贴 (disability), one application table."""
