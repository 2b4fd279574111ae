-- Business rule (and the generator's): a search is sold at most once. A second Success would be
-- double revenue; int_searches_joined_to_bookings keeps only the earliest, so fail loudly here.
select
    search_id,
    successful_booking_attempts
from {{ ref('int_searches_joined_to_bookings') }}
where successful_booking_attempts > 1
