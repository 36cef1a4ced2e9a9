#include "bench/base/fs.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "bench/base/error.h"

int pcb_mkdir(const char *path) {
    if (mkdir(path, 0777) == 0) return 0;
    int err = errno;
    struct stat st;
    if (err != EEXIST) return pcb_fail("%s: cannot create the folder: %s", path, strerror(err));
    // A file of that name would only fail later, at the first write into "the folder".
    if (stat(path, &st) || !S_ISDIR(st.st_mode)) return pcb_fail("%s: exists and is not a folder", path);
    return 0;
}
