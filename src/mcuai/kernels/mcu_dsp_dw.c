/*
 * mcu_dsp_dw.c - companion of the header-only mcu_dsp_dw.h (the generator copies kernel units
 * as .h/.c pairs); it defines nothing that is linked.
 */
#include "mcu_dsp_dw.h"

typedef int mcu_dsp_dw_unit_t;
