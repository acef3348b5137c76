"""The faculty workbook's file formats: an Excel workbook (.xlsx) or a folder of CSV files, read
into and written from the plain rows of bot.faculty.sheets."""
