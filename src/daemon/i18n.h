/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Translations of the nightly report with gettext (glibc's libintl), text
 * domain "retentiond": French from the `fr` catalogue, English as the
 * message ids themselves. The language is chosen per call, whatever the
 * process locale, so a reload can change [report] language and tests can
 * render both in one process.
 *
 * How, without installing any locale: gettext translates only for a
 * thread whose LC_MESSAGES locale is not "C", and then follows LANGUAGE.
 * i18n_init() sets LANGUAGE=fr once, before any thread starts, and keeps a
 * C.UTF-8 LC_MESSAGES locale object (shipped with glibc's own package on
 * Debian); each French lookup switches the calling thread to it with
 * uselocale() and back. The rest of the daemon stays in the "C" locale, so
 * nothing else it prints (strerror in logs) changes language.
 *
 * Daemon messages, logs and protocol errors stay in English.
 */
#ifndef RETENTIOND_DAEMON_I18N_H
#define RETENTIOND_DAEMON_I18N_H

#include <stdbool.h>

#define I18N_DOMAIN "retentiond"

enum i18n_lang {
	I18N_FR,
	I18N_EN,
};

/*
 * Once, at start-up, before any other thread runs (it sets LANGUAGE):
 * bind the domain to $RETENTIOND_LOCALEDIR when set (tests: the build
 * tree's po/locale), else LOCALEDIR. Later calls do nothing. Returns 0,
 * or -ENOENT when the C.UTF-8 locale is missing (the report is then in
 * English whatever the configuration).
 */
int i18n_init(void);

/* Whether the catalogue of lang is found (English always is). */
bool i18n_available(enum i18n_lang lang);

/* "fr" or "en" to a language; -EINVAL otherwise. */
int i18n_lang_from_name(const char *name);
const char *i18n_lang_name(enum i18n_lang lang);

/*
 * The translation of msgid in lang (msgid itself in English, or when
 * there is no translation). Thread-safe after i18n_init(); the result
 * stays valid for the life of the process.
 */
const char *i18n_gettext(enum i18n_lang lang, const char *msgid);
/* Singular or plural by n, with the language's plural rule. */
const char *i18n_ngettext(enum i18n_lang lang, const char *msgid,
			  const char *msgid_plural, unsigned long n);

/* Marks a string for xgettext without translating it here. */
#define N_(s) (s)

#endif
