"""The policy handbook (政策工具书): entries an administrator edits, retrieved with BM25 over jieba tokens."""
