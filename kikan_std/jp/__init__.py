"""Pure primitives of Japanese public-sector data: characters, check digits, 和暦, municipality codes,
dates (DATE/TIME lexical forms, 不詳日) and the 全銀 format. Imports nothing of kikan_std but findings and catalogue."""
