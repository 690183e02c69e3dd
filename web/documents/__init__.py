"""Documents by photo: a resident's photo of a document, checked, stored with their application.

``requirements`` says what an application asks for (one small protocol each domain implements),
``checks`` and ``scan`` decide whether a file is taken, ``storage`` keeps it (filesystem or an
S3-compatible store), ``intake`` is what a channel calls with a photo, ``missing`` answers "还缺什么材料"
(the bot's ``documents`` side effect), ``retention`` deletes.
docs/documents.md.
"""
