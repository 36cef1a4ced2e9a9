// Output folders: the one "create if missing" every writer of files into a folder uses.
#ifndef PCB_BASE_FS_H
#define PCB_BASE_FS_H

// Creates the folder path (one level: its parent must exist); an existing folder is fine.
// -1 + error naming the folder ("PATH: cannot create the folder: why", "PATH: exists and is not
// a folder").
int pcb_mkdir(const char *path);

#endif
