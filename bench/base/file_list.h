// The files of one folder whose names end in a suffix, sorted by name: data sets that are folders
// of text files (PG19 books, the needle haystack) read in a stable order.
#ifndef PCB_FILE_LIST_H
#define PCB_FILE_LIST_H

// Names (not paths) of the regular files in dir ending in suffix, sorted; *n of them (0 is not an
// error). NULL + error naming the folder when it cannot be opened. Free with file_list_free.
char **file_list(const char *dir, const char *suffix, int *n);
void file_list_free(char **names, int n);

#endif
