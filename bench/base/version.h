// pcbench's version, recorded in results files and attention logs.
#ifndef PCB_BASE_VERSION_H
#define PCB_BASE_VERSION_H

#define PCB_VERSION "0.1.0"

#endif
