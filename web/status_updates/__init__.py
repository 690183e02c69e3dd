"""Application status updates: the back-office's change feed (``GET /changes``), read with a stored
cursor, each change told to its resident once (web/notify.py chooses the channel).

* ``models`` — the cursor and one ``status_update`` row per change told (its id is the key);
* ``messages`` — a change as the resident reads it (texts in web/texts/texts.yml, the subscription
  notice's values, the template message's fields);
* ``reader`` — one run: read after the cursor, record each message and the cursor in one
  transaction, dispatch after the commit;
* ``tasks`` — the Celery beat task ``status_updates.read`` (every 20 s).
"""
