"""Install time (`docsexec engine install`): an engine, its page client, the host tools and
the busybox image onto the machine, cached and checked. provision.py decides what to install;
apt.py and apt_source.py fetch Debian packages without touching /etc/apt; busybox_build.py and
images.py make the busybox image; upstream_*.py and go_toolchain.py build Engine 29 from its
release source. Nothing here runs while a page does, except the busybox image's import into a
fresh engine (provision.import_images).
"""
