"""Notify: the outbox, the channels, and everything a person reads (alert mails, the digest, the feed).

Takes the alerts a check raised and the store's timeline; gives delivered mail and messages. Every alert is
written to the durable outbox (outbox.py delivers; entries.py is what it holds) before any channel (base.py:
the `Notifier` kind; email.py, apprise_channel.py) is tried; message.py words an alert, digest.py gathers a
period's news, digest_render.py makes it a mail and digest_mail.py sends it once, feed.py writes the Atom feed.
"""
