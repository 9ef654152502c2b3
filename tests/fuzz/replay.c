/* Replay a fuzz target's seed corpus without libFuzzer: every file in
 * CORPUS_DIR (or in the directories given as arguments) is passed to
 * LLVMFuzzerTestOneInput once. A crash or sanitizer report fails the test;
 * an empty corpus fails too (a replay that runs nothing proves nothing). */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

static int replay_dir(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int n = 0;

    if (!d) {
        fprintf(stderr, "replay: cannot open %s\n", dir);
        return -1;
    }
    while ((e = readdir(d)) != NULL) {
        char path[4096];
        FILE *f;
        long len;
        unsigned char *buf;

        if (e->d_name[0] == '.') {
            continue;
        }
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        if (!(f = fopen(path, "rb"))) {
            continue;
        }
        fseek(f, 0, SEEK_END);
        len = ftell(f);
        fseek(f, 0, SEEK_SET);
        buf = malloc(len > 0 ? (size_t)len : 1);
        if (buf && fread(buf, 1, (size_t)len, f) == (size_t)len) {
            LLVMFuzzerTestOneInput(buf, (size_t)len);
            ++n;
        }
        free(buf);
        fclose(f);
    }
    closedir(d);
    return n;
}

int main(int argc, char **argv)
{
    int total = 0;

    if (argc > 1) {
        for (int i = 1; i < argc; ++i) {
            int n = replay_dir(argv[i]);
            if (n < 0) return 1;
            total += n;
        }
    }
    else {
        total = replay_dir(CORPUS_DIR);
    }
    printf("replayed %d inputs\n", total);
    return total > 0 ? 0 : 1;
}
