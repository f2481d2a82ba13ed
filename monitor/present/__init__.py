"""How a change is presented to its readers, shared by the mails, the digest, the feed and the report site:
a change read back from the store (its blocks and summary), the one public link and file name of each page of
the site, and which language of a document has not followed its twin yet. Takes the store; gives values that
notify/ and report/ render."""
