"""Provider quirk profiles: declarative data plus small hooks, chosen per provider.

A :class:`~crosswire.providers.profile.Profile` says how one family of OpenAI-format endpoints
deviates from the plain protocol (which max-tokens field, how thinking is switched, which
sampling parameters are fixed, how many tools, …). Profiles are registered by name in
:data:`~crosswire.providers.registry.PROFILES`; config picks one per provider.
"""

from crosswire.providers.profile import Profile, prepare_chat_body
from crosswire.providers.registry import PROFILES, get_profile

__all__ = ["PROFILES", "Profile", "get_profile", "prepare_chat_body"]
