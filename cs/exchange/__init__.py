"""Records in and out: imports, spreadsheets (xlsx, GB18030 CSV, Chinese headers), exports, workbooks."""
