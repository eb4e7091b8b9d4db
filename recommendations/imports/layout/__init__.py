"""Where the plan sits in a source: the title block, the tables, their header rows and columns.

`find_layout` reads each sheet from the top: lines above the first header row are the title
block (the plan's title, an introduction, "Executive Lead: ..." lines, "key: value" details), a
header row is a row of short texts at least half of which name a meaning the tracker knows (one
of them the recommendations' number, text or actions), and a single line straight above a
header row is that table's heading (several tables can share a sheet). Our own return's "Plan"
sheet of details is read as such. The rows of each table are turned into recommendations by
`read_records`, once `mapping` has given every column its meaning.
"""

from .model import HEADER_SEARCH_ROWS, Column, Layout, Table, at, cell_text, is_blank
from .records import Record, number_records, read_records
from .sheets import find_layout

__all__ = [
    "HEADER_SEARCH_ROWS",
    "Column",
    "Layout",
    "Record",
    "Table",
    "at",
    "cell_text",
    "find_layout",
    "is_blank",
    "number_records",
    "read_records",
]
