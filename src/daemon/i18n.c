/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Per-call language selection over glibc's gettext: see i18n.h for why a
 * thread-local C.UTF-8 locale and a fixed LANGUAGE=fr are enough.
 */
#include "config.h"

#include "daemon/i18n.h"

#include <errno.h>
#include <libintl.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>

static bool initialised;
static locale_t messages_locale; /* (locale_t)0: French unavailable */

int i18n_init(void)
{
	const char *dir = getenv("RETENTIOND_LOCALEDIR");

	if (initialised)
		return messages_locale ? 0 : -ENOENT;
	initialised = true;
	if (!dir || !*dir)
		dir = LOCALEDIR;
	bindtextdomain(I18N_DOMAIN, dir);
	bind_textdomain_codeset(I18N_DOMAIN, "UTF-8");
	/* Only threads that switch to messages_locale read it. */
	setenv("LANGUAGE", "fr", 1);
	messages_locale = newlocale(LC_MESSAGES_MASK, "C.UTF-8", (locale_t)0);
	if (!messages_locale)
		messages_locale = newlocale(LC_MESSAGES_MASK, "C.utf8", (locale_t)0);
	return messages_locale ? 0 : -ENOENT;
}

bool i18n_available(enum i18n_lang lang)
{
	if (lang == I18N_EN)
		return true;
	/* The catalogue's header is the translation of "". */
	const char *h = i18n_gettext(lang, "");
	return h && *h;
}

int i18n_lang_from_name(const char *name)
{
	if (name && strcmp(name, "fr") == 0)
		return I18N_FR;
	if (name && strcmp(name, "en") == 0)
		return I18N_EN;
	return -EINVAL;
}

const char *i18n_lang_name(enum i18n_lang lang)
{
	return lang == I18N_EN ? "en" : "fr";
}

const char *i18n_gettext(enum i18n_lang lang, const char *msgid)
{
	if (lang == I18N_EN || !messages_locale)
		return msgid;
	locale_t old = uselocale(messages_locale);
	const char *t = dgettext(I18N_DOMAIN, msgid);
	uselocale(old);
	return t;
}

const char *i18n_ngettext(enum i18n_lang lang, const char *msgid,
			  const char *msgid_plural, unsigned long n)
{
	if (lang == I18N_EN || !messages_locale)
		return n == 1 ? msgid : msgid_plural;
	locale_t old = uselocale(messages_locale);
	const char *t = dngettext(I18N_DOMAIN, msgid, msgid_plural, n);
	uselocale(old);
	return t;
}
