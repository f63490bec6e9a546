"""IAPD compilation reports: SEC-registered firms, state-registered firms, representatives.

Pure functions for the asset layer, no HTTP:

- ``discover.read_manifest(manifest_bytes)`` -> ``IapdEdition``; ``.file_for(feed)`` -> ``FeedFile``
  with the URL to download.
- ``write.write_feed(feed, downloaded_path, jsonl_path, parquet_path)`` -> ``FeedOutputs``.
- ``parse.iter_records(feed, downloaded_path)`` streams ``FeedRecord``s for other consumers.

The feeds are ``settings.SEC_ADVISERS``, ``settings.STATE_ADVISERS`` and ``settings.REPRESENTATIVES``.
"""
