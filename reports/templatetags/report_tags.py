"""`{% report_table table %}`: a report Table as accessible HTML.

Rendered in Python rather than with template loops: a district table has
thousands of cells, and this keeps the page's server time small. Every value is
escaped (format_html / conditional_escape).
"""

from django import template
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

register = template.Library()


def _cell(cell, header: bool) -> str:
    if cell.muted:
        inner = format_html(
            '<span class="too-few" title="{}">{}<span class="visually-hidden"> ({})</span></span>',
            cell.title,
            cell.text,
            cell.title,
        )
    elif cell.href:
        inner = format_html('<a href="{}">{}</a>', cell.href, cell.text)
    else:
        inner = conditional_escape(cell.text)
    if header:
        return f'<th scope="row">{inner}</th>'
    return f'<td class="num">{inner}</td>' if cell.numeric else f"<td>{inner}</td>"


@register.simple_tag
def report_table(table) -> str:
    key = conditional_escape(table.key)
    parts = [
        f'<section class="report-table" aria-labelledby="{key}-caption" id="table-{key}">',
        '<div class="report-table-head">',
        format_html('<h2 id="{}-caption">{}</h2>', table.key, table.caption),
    ]
    urls = getattr(table, "export_urls", None)
    if urls:
        parts.append(
            format_html(
                '<p class="exports">{} <a href="{}" data-export="csv">CSV<span class="visually-hidden"> {}</span></a> '
                '<a href="{}" data-export="xlsx">Excel (XLSX)<span class="visually-hidden"> {}</span></a></p>',
                _("Download"),
                urls["csv"],
                _("of %(name)s") % {"name": table.caption},
                urls["xlsx"],
                _("of %(name)s") % {"name": table.caption},
            )
        )
    parts.append("</div>")
    if table.rows:
        head = "".join(
            format_html(
                '<th scope="col"{}{}>{}</th>',
                mark_safe(' class="num"') if c.numeric else "",
                format_html(' title="{}"', c.help) if c.help else "",
                c.label,
            )
            for c in table.columns
        )
        body = []
        for row in table.shown_rows:
            cells = [_cell(cell, header=(i == 0 and table.row_headers)) for i, cell in enumerate(row)]
            body.append("<tr>" + "".join(cells) + "</tr>")
        parts.append(
            # A wide table scrolls on a tablet: the scroll box takes the keyboard focus (axe
            # "scrollable-region-focusable"), and as a region it is named by the table's caption.
            format_html('<div class="overflow-auto" tabindex="0" role="region" aria-label="{}">', table.caption)
            + f'<table class="data striped report" id="{key}">'
            + format_html('<caption class="visually-hidden">{}</caption>', table.caption)
            + f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table></div>"
        )
        if table.hidden_count:
            parts.append(
                format_html(
                    '<p class="muted">{}</p>',
                    ngettext(
                        "%(n)s more row is in the download.", "%(n)s more rows are in the download.", table.hidden_count
                    )
                    % {"n": table.hidden_count},
                )
            )
    else:
        parts.append(format_html("<p>{}</p>", table.empty))
    if table.footnote:
        parts.append(format_html('<p class="footnote">{}</p>', table.footnote))
    parts.append("</section>")
    return mark_safe("".join(parts))
