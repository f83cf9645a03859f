"""Ansible plugins the box's `comptoir config pull` hands to ansible-playbook (a folder, named
in ANSIBLE_CALLBACK_PLUGINS); Ansible loads them itself, nothing of Comptoir imports them."""
