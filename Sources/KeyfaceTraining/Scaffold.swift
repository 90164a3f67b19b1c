// TEMPORARY scaffold file.
