/* fuzz-replay.c: runs a fuzz target over its seed corpus without libFuzzer.
 *
 * Every fuzz target defines LLVMFuzzerTestOneInput. Built with clang and
 * -Dfuzzing=true the targets link libFuzzer and explore; in the default
 * build this main() replays each file of the corpus directories given on
 * the command line (plus a few synthetic inputs), so the "fuzz" suite
 * checks on every run that no seed ever crashes (under ASan in the
 * sanitizer build). Usage: fuzz-X [--tap] CORPUS_DIR...
 */
#include <glib.h>
#include <stdint.h>
#include <stdio.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
main (int argc, char **argv)
{
  guint runs = 0;
  static const char *const synthetic[] = { "", "\xff", "%", "bytes=", "=,", "\x00\x00" };

  for (guint i = 0; i < G_N_ELEMENTS (synthetic); i++, runs++)
    LLVMFuzzerTestOneInput ((const uint8_t *) synthetic[i], strlen (synthetic[i]));
  for (int a = 1; a < argc; a++)
    {
      g_autoptr (GDir) dir = NULL;
      const char *name;

      if (g_str_equal (argv[a], "--tap"))
        continue;
      dir = g_dir_open (argv[a], 0, NULL);
      while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *path = g_build_filename (argv[a], name, NULL);
          g_autofree char *data = NULL;
          gsize len;
          if (g_file_get_contents (path, &data, &len, NULL))
            {
              LLVMFuzzerTestOneInput ((const uint8_t *) data, len);
              runs++;
            }
        }
    }
  printf ("1..1\nok 1 - %u inputs replayed without a crash\n", runs);
  return 0;
}
