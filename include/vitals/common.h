/*
 * Status codes, version and export macros shared by every vitals header.
 */
#ifndef VITALS_COMMON_H
#define VITALS_COMMON_H

#ifdef __cplusplus
extern "C" {
#endif

#if defined(VITALS_BUILDING) && defined(__GNUC__)
#define VITALS_API __attribute__((visibility("default")))
#else
#define VITALS_API
#endif

#define VITALS_VERSION_MAJOR  0
#define VITALS_VERSION_MINOR  1
#define VITALS_VERSION_PATCH  0
#define VITALS_VERSION_STRING "0.1.0"

/*
 * Status codes. 0 is success; every failure is negative so that a function
 * returning a count can share the same int.
 */
enum vitals_status {
	VITALS_OK = 0,
	VITALS_E_NOMEM = -1,    /* an allocation failed or a cap was reached */
	VITALS_E_IO = -2,       /* a read or write failed; errno-like detail in the message */
	VITALS_E_INVAL = -3,    /* an argument is out of range or malformed */
	VITALS_E_NOTFOUND = -4, /* the thing asked for does not exist (a pid, a file) */
	VITALS_E_MISSING =
	    -5,              /* the value is not known: first sample, permission, went backwards */
	VITALS_E_PARSE = -6, /* outside bytes did not have the expected shape */
	VITALS_E_PERM = -7,  /* the kernel refused access */
	VITALS_E_UNSUPPORTED = -8, /* the source or feature is absent on this machine */
};

/* A short, static, English description of a status code. Never NULL. */
VITALS_API const char *vitals_strerror(int status);

/* The library's version, "MAJOR.MINOR.PATCH". */
VITALS_API const char *vitals_version(void);

#ifdef __cplusplus
}
#endif

#endif
