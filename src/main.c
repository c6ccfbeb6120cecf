/* main.c - placeholder until the CLI lands */
#include "banned.h"
int main(void) {
    return 0;
}
