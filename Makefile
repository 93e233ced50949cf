# Installs giftbridge the way a Debian daemon installs: binaries, systemd units, sysusers and
# tmpfiles entries, udev rules and a default configuration. `make install DESTDIR=/tmp/stage`
# stages instead. After installing: systemd-sysusers; systemd-tmpfiles --create;
# udevadm control --reload; systemctl daemon-reload; systemctl enable --now giftbridged.
PREFIX ?= /usr
DESTDIR ?=
SWIFT ?= swift

.PHONY: build install test
build:
	$(SWIFT) build -c release --product giftbridged
	$(SWIFT) build -c release --product giftbridge

install: build
	install -Dm755 "$$($(SWIFT) build -c release --show-bin-path)/giftbridged" "$(DESTDIR)$(PREFIX)/bin/giftbridged"
	install -Dm755 "$$($(SWIFT) build -c release --show-bin-path)/giftbridge" "$(DESTDIR)$(PREFIX)/bin/giftbridge"
	install -Dm644 systemd/giftbridged.service "$(DESTDIR)/lib/systemd/system/giftbridged.service"
	install -Dm644 systemd/giftbridged.socket "$(DESTDIR)/lib/systemd/system/giftbridged.socket"
	install -Dm644 systemd/giftbridge.sysusers.conf "$(DESTDIR)/usr/lib/sysusers.d/giftbridge.conf"
	install -Dm644 systemd/giftbridge.tmpfiles.conf "$(DESTDIR)/usr/lib/tmpfiles.d/giftbridge.conf"
	install -Dm644 udev/70-giftbridge.rules "$(DESTDIR)/lib/udev/rules.d/70-giftbridge.rules"
	install -Dm644 README.md "$(DESTDIR)/usr/share/doc/giftbridge/README.md"
	install -d "$(DESTDIR)/usr/share/bash-completion/completions" "$(DESTDIR)/usr/share/zsh/vendor-completions" "$(DESTDIR)/usr/share/fish/vendor_completions.d"
	"$$($(SWIFT) build -c release --show-bin-path)/giftbridge" --generate-completion-script bash > "$(DESTDIR)/usr/share/bash-completion/completions/giftbridge"
	"$$($(SWIFT) build -c release --show-bin-path)/giftbridge" --generate-completion-script zsh > "$(DESTDIR)/usr/share/zsh/vendor-completions/_giftbridge"
	"$$($(SWIFT) build -c release --show-bin-path)/giftbridge" --generate-completion-script fish > "$(DESTDIR)/usr/share/fish/vendor_completions.d/giftbridge.fish"
	test -e "$(DESTDIR)/etc/giftbridge/config.yaml" || install -Dm640 docs/config.example.yaml "$(DESTDIR)/etc/giftbridge/config.yaml"

test:
	./scripts/test
