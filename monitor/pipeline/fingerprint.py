"""The fingerprint of a page's rules as one check read them: computed once per check, from the page that
`config/declared_pages.page_now` made (its declaration read once), never by reading the declaration again.

Besides what `extract/rules.rule_parts` names (select, remove, the declaration, the walls, the word threshold,
the extractor), it holds the filters a declaration runs (names, parameters, a hash of the filters file) and,
for a combined document, each part's own `select` and `remove`: a part's rules changed in a declaration or in
config.toml is a change of the rules, told apart from a change of the page.
"""

from __future__ import annotations

import hashlib

from monitor.config.declared_pages import page_now
from monitor.config.loading import PageConfig
from monitor.extract.rules import fingerprint_of
from monitor.pipeline.capture import Context


def rules_now(ctx: Context, page: PageConfig) -> tuple[dict[str, object], str]:
    """`rule_parts_now` and its fingerprint. A page whose rules are all in config.toml (no declaration, no
    `combine`) has the same ones at every check of a context, so they are worked out once per context (a run, the
    service until it reloads the config); a declaration page's are worked out at each check, from the
    declaration that check read. The parts are shared: read them, never change them."""
    if page.declaration is not None or page.read_rules is not None:
        parts = rule_parts_now(ctx, page)
        return parts, fingerprint_of(parts)
    known = ctx.rules_seen.get(page.id)
    if known is None or known[0] is not page:
        parts = rule_parts_now(ctx, page)
        known = ctx.rules_seen[page.id] = (page, parts, fingerprint_of(parts))
    return known[1], known[2]


def rule_parts_now(ctx: Context, page: PageConfig) -> dict[str, object]:
    """The parts of `page`'s rules fingerprint, by name (what `fingerprint_of` hashes), as its check reads
    them; `page` is as `page_now` made it (else its declaration is read here, once)."""
    from monitor.extract import rules

    if page.read_rules is None and page.declaration is not None:
        page = page_now(ctx.loaded.base_dir, page)
    read = page.read_rules
    filters: list[object] | None = None
    if read is not None and read.problem is None:
        named, _, script = read.filters_of(None)
        if named:
            filters = [[name, params] for name, params, _ in named]
            filters.append(hashlib.sha256(script.encode("utf-8")).hexdigest()[:16])
    parts = rules.rule_parts(page, ctx.config.quality, ctx.config.walls, filters=filters)
    if read is not None and read.parts:
        parts["parts"] = [{"select": part.select, "remove": part.remove} for part in read.parts]
    return parts
