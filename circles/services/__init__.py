"""Domain services: ``async def verb_noun(session, *, ...)``; they flush, the edge commits."""
