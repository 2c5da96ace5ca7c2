/* semihost.c - see semihost.h. */
#include "semihost.h"

#define SYS_OPEN 0x01
#define SYS_CLOSE 0x02
#define SYS_WRITE0 0x04
#define SYS_WRITE 0x05
#define SYS_READ 0x06
#define SYS_EXIT_EXTENDED 0x20
#define ADP_STOPPED_APPLICATION_EXIT 0x20026

static int cm_sh_call(int op, const void *arg)
{
    register int r0 __asm__("r0") = op;
    register const void *r1 __asm__("r1") = arg;
    __asm__ volatile("bkpt 0xAB" : "+r"(r0) : "r"(r1) : "memory");
    return r0;
}

int cm_sh_open(const char *path, int mode)
{
    uint32_t block[3];
    size_t len = 0;
    while (path[len] != '\0') {
        ++len;
    }
    block[0] = (uint32_t)(uintptr_t)path;
    block[1] = (uint32_t)mode;
    block[2] = (uint32_t)len;
    return cm_sh_call(SYS_OPEN, block);
}

int cm_sh_close(int handle)
{
    uint32_t block[1];
    block[0] = (uint32_t)handle;
    return cm_sh_call(SYS_CLOSE, block);
}

size_t cm_sh_read(int handle, void *buf, size_t n)
{
    uint32_t block[3];
    block[0] = (uint32_t)handle;
    block[1] = (uint32_t)(uintptr_t)buf;
    block[2] = (uint32_t)n;
    /* returns the number of bytes NOT read */
    return n - (size_t)(uint32_t)cm_sh_call(SYS_READ, block);
}

size_t cm_sh_write(int handle, const void *buf, size_t n)
{
    uint32_t block[3];
    block[0] = (uint32_t)handle;
    block[1] = (uint32_t)(uintptr_t)buf;
    block[2] = (uint32_t)n;
    /* returns the number of bytes NOT written */
    return n - (size_t)(uint32_t)cm_sh_call(SYS_WRITE, block);
}

void cm_sh_puts(const char *s)
{
    (void)cm_sh_call(SYS_WRITE0, s);
}

void cm_sh_put_hex(uint32_t v)
{
    char buf[11];
    int k;
    buf[0] = '0';
    buf[1] = 'x';
    for (k = 0; k < 8; ++k) {
        uint32_t d = (v >> (28 - 4 * k)) & 0xFu;
        buf[2 + k] = (char)(d < 10u ? '0' + (int)d : 'a' + (int)d - 10);
    }
    buf[10] = '\0';
    cm_sh_puts(buf);
}

void cm_sh_exit(int status)
{
    uint32_t block[2];
    block[0] = ADP_STOPPED_APPLICATION_EXIT;
    block[1] = (uint32_t)status;
    for (;;) {
        (void)cm_sh_call(SYS_EXIT_EXTENDED, block);
    }
}

int cm_load(const char *path, void *dst, size_t n)
{
    int h = cm_sh_open(path, CM_SH_MODE_RB);
    size_t got;
    if (h < 0) {
        return 1;
    }
    got = cm_sh_read(h, dst, n);
    (void)cm_sh_close(h);
    return got != n;
}

int cm_save(const char *path, const void *src, size_t n)
{
    int h = cm_sh_open(path, CM_SH_MODE_WB);
    size_t put;
    if (h < 0) {
        return 1;
    }
    put = n == 0 ? 0 : cm_sh_write(h, src, n);
    return (cm_sh_close(h) != 0) || put != n;
}
