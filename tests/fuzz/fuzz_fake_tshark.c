/*
 * fuzz_fake_tshark.c - the tshark of fuzz_http: answers --version and
 * -G protocols like tshark 4.0.17 and prints the same three packets for any
 * capture, whatever it holds. A C program rather than a script: it starts in
 * well under a millisecond, and no byte of the fuzzed upload can steer it.
 */
#include <stdio.h>
#include <string.h>

static const char PACKETS[] =
    "[\n"
    "  {\"_index\": \"packets-2004-05-13\", \"_type\": \"doc\", \"_score\": null,\n"
    "   \"_source\": {\"layers\": {\"frame.number\": [\"1\"],\n"
    "     \"frame.time_relative\": [\"0.000000000\"], \"frame.len\": [\"60\"]}}},\n"
    "  {\"_index\": \"packets-2004-05-13\", \"_type\": \"doc\", \"_score\": null,\n"
    "   \"_source\": {\"layers\": {\"frame.number\": [\"2\"],\n"
    "     \"frame.time_relative\": [\"0.500000000\"], \"frame.len\": [\"1514\"]}}},\n"
    "  {\"_index\": \"packets-2004-05-13\", \"_type\": \"doc\", \"_score\": null,\n"
    "   \"_source\": {\"layers\": {\"frame.number\": [\"3\"],\n"
    "     \"frame.time_relative\": [\"1.250000000\"], \"frame.len\": [\"42\"]}}}\n"
    "]\n";

int main(int argc, char **argv) {
    int i;

    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--version") == 0) {
            fputs("TShark (Wireshark) 4.0.17 (fuzz fake).\n", stdout);
            return 0;
        }
        if (strcmp(argv[i], "-G") == 0) {
            fputs("Frame\tFrame\tframe\nEthernet\tEthernet\teth\n"
                  "Internet Protocol Version 4\tIPv4\tip\n",
                  stdout);
            return 0;
        }
    }
    fputs(PACKETS, stdout);
    return 0;
}
