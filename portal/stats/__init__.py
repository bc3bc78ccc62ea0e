"""The statistics page (/stats): where cases come from, which themes, how many people the
sessions reached, what is adopted and discussed, expert activity. Its charts draw the data of
/api/v1/stats; every chart has its data as a table beneath it and as CSV."""
