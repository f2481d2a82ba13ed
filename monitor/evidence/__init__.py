"""Evidence: a page's capture in effect at a date -> a bundle others can check with standard tools.

Takes the store (a version, the record that brought it and its place in the page's hash chain) and gives a
zip (export.py): the capture as a WARC file (warc.py: request and response records with the headers as
fetched, or a resource record for an imported version), the extracted text, the check record exactly as
stored, the chain position, `SHA256SUMS` and a README saying how to check each with `sha256sum` and any WARC
reader.
"""
