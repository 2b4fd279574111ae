"""Reference tables of the payments generator: MCC codes, cities, streets, errors, hours.

Real-world constants written once: ISO 18245 merchant category codes with plain descriptions
(each with a typical ticket size and how often it is used in person and online), US cities
where clients live and foreign cities they visit, and the Kaggle error vocabulary.
"""

from __future__ import annotations

import numpy as np

# (mcc, description, median amount in USD, card-present weight, online weight)
MCC_TABLE: tuple[tuple[int, str, float, float, float], ...] = (
    (1711, "Heating, Plumbing, and Air Conditioning Contractors", 180.0, 0.2, 0.0),
    (1731, "Electrical Contractors", 160.0, 0.1, 0.0),
    (1799, "Special Trade Contractors", 150.0, 0.1, 0.0),
    (2741, "Miscellaneous Publishing and Printing", 40.0, 0.1, 0.3),
    (4111, "Local and Suburban Commuter Passenger Transportation", 6.0, 2.5, 0.3),
    (4112, "Passenger Railways", 45.0, 0.4, 0.6),
    (4121, "Taxicabs and Limousines", 22.0, 1.5, 1.5),
    (4131, "Bus Lines", 30.0, 0.3, 0.2),
    (4214, "Motor Freight Carriers and Trucking", 90.0, 0.1, 0.1),
    (4411, "Steamship and Cruise Lines", 600.0, 0.05, 0.2),
    (4511, "Airlines and Air Carriers", 320.0, 0.2, 1.8),
    (4582, "Airports, Flying Fields, and Airport Terminals", 25.0, 0.3, 0.0),
    (4722, "Travel Agencies and Tour Operators", 400.0, 0.1, 0.8),
    (4784, "Tolls and Bridge Fees", 8.0, 2.0, 0.4),
    (4789, "Transportation Services", 35.0, 0.2, 0.2),
    (4812, "Telecommunication Equipment and Telephone Sales", 120.0, 0.3, 0.6),
    (4814, "Telecommunication Services", 60.0, 0.6, 3.0),
    (4816, "Computer Network Services", 20.0, 0.0, 1.2),
    (4829, "Money Transfer", 180.0, 0.3, 1.6),
    (4899, "Cable, Satellite, and Other Pay Television Services", 70.0, 0.1, 2.5),
    (4900, "Utilities - Electric, Gas, Water, Sanitary", 110.0, 0.3, 3.0),
    (5013, "Motor Vehicle Supplies and New Parts", 70.0, 0.3, 0.2),
    (5021, "Office and Commercial Furniture", 250.0, 0.05, 0.1),
    (5039, "Construction Materials", 140.0, 0.1, 0.0),
    (5045, "Computers, Computer Peripheral Equipment, Software", 250.0, 0.2, 0.8),
    (5065, "Electrical Parts and Equipment", 60.0, 0.1, 0.2),
    (5094, "Precious Stones and Metals, Watches and Jewelry", 350.0, 0.4, 0.2),
    (5111, "Stationery, Office Supplies, Printing and Writing Paper", 30.0, 0.3, 0.3),
    (5192, "Books, Periodicals, and Newspapers", 18.0, 0.3, 0.8),
    (5193, "Florists Supplies, Nursery Stock, and Flowers", 45.0, 0.2, 0.2),
    (5200, "Home Supply Warehouse Stores", 75.0, 1.2, 0.3),
    (5211, "Lumber and Building Materials Stores", 90.0, 0.6, 0.0),
    (5251, "Hardware Stores", 35.0, 0.8, 0.2),
    (5261, "Lawn and Garden Supply Stores", 40.0, 0.4, 0.1),
    (5300, "Wholesale Clubs", 95.0, 2.5, 0.4),
    (5310, "Discount Stores", 40.0, 4.0, 0.5),
    (5311, "Department Stores", 55.0, 3.0, 2.0),
    (5331, "Variety Stores", 20.0, 1.2, 0.2),
    (5399, "Miscellaneous General Merchandise", 35.0, 0.6, 1.5),
    (5411, "Grocery Stores, Supermarkets", 48.0, 12.0, 0.6),
    (5441, "Candy, Nut, and Confectionery Stores", 9.0, 0.5, 0.1),
    (5462, "Bakeries", 11.0, 1.0, 0.0),
    (5499, "Miscellaneous Food Stores", 22.0, 6.0, 0.2),
    (5511, "Car and Truck Dealers (New and Used)", 700.0, 0.1, 0.0),
    (5521, "Car and Truck Dealers (Used Only)", 500.0, 0.05, 0.0),
    (5533, "Automotive Parts and Accessories Stores", 55.0, 0.6, 0.3),
    (5541, "Service Stations", 38.0, 8.0, 0.0),
    (5542, "Automated Fuel Dispensers", 42.0, 3.0, 0.0),
    (5611, "Men's and Boys' Clothing and Accessories Stores", 65.0, 0.4, 0.5),
    (5621, "Women's Ready-to-Wear Stores", 70.0, 0.5, 0.6),
    (5641, "Children's and Infants' Wear Stores", 40.0, 0.3, 0.3),
    (5651, "Family Clothing Stores", 60.0, 1.0, 1.0),
    (5655, "Sports and Riding Apparel Stores", 70.0, 0.2, 0.3),
    (5661, "Shoe Stores", 75.0, 0.5, 0.6),
    (5691, "Men's and Women's Clothing Stores", 65.0, 0.6, 1.0),
    (5712, "Furniture, Home Furnishings, and Equipment Stores", 300.0, 0.3, 0.4),
    (5719, "Miscellaneous Home Furnishing Specialty Stores", 60.0, 0.4, 0.5),
    (5722, "Household Appliance Stores", 280.0, 0.2, 0.3),
    (5732, "Electronics Stores", 160.0, 0.9, 1.2),
    (5733, "Music Stores - Musical Instruments", 90.0, 0.1, 0.1),
    (5734, "Computer Software Stores", 50.0, 0.1, 0.7),
    (5735, "Record Stores", 20.0, 0.1, 0.2),
    (5812, "Eating Places and Restaurants", 34.0, 9.0, 0.8),
    (5813, "Drinking Places (Alcoholic Beverages)", 28.0, 1.5, 0.0),
    (5814, "Fast Food Restaurants", 11.0, 7.0, 0.6),
    (5815, "Digital Goods - Media, Books, Movies, Music", 10.0, 0.0, 3.0),
    (5816, "Digital Goods - Games", 15.0, 0.0, 1.6),
    (5817, "Digital Goods - Applications (Excludes Games)", 6.0, 0.0, 1.8),
    (5818, "Digital Goods - Large Digital Goods Merchant", 25.0, 0.0, 3.5),
    (5912, "Drug Stores and Pharmacies", 24.0, 5.0, 0.5),
    (5921, "Package Stores, Beer, Wine, Liquor", 30.0, 1.2, 0.1),
    (5932, "Antique Shops", 90.0, 0.1, 0.1),
    (5940, "Bicycle Shops", 120.0, 0.1, 0.1),
    (5941, "Sporting Goods Stores", 65.0, 0.5, 0.5),
    (5942, "Book Stores", 25.0, 0.5, 0.8),
    (5944, "Jewelry Stores, Watches, Clocks, and Silverware Stores", 220.0, 0.3, 0.3),
    (5945, "Hobby, Toy, and Game Shops", 35.0, 0.4, 0.6),
    (5947, "Gift, Card, Novelty, and Souvenir Shops", 25.0, 0.6, 0.4),
    (5970, "Artist's Supply and Craft Shops", 30.0, 0.3, 0.3),
    (5977, "Cosmetic Stores", 35.0, 0.6, 0.7),
    (5992, "Florists", 55.0, 0.3, 0.6),
    (5995, "Pet Shops, Pet Food, and Supplies", 45.0, 0.6, 0.6),
    (5999, "Miscellaneous and Specialty Retail Stores", 40.0, 1.0, 2.5),
    (6011, "Automated Cash Disbursements", 100.0, 1.5, 0.0),
    (6300, "Insurance Sales, Underwriting, and Premiums", 150.0, 0.1, 1.5),
    (7011, "Lodging - Hotels, Motels, and Resorts", 180.0, 0.5, 1.2),
    (7210, "Laundry, Cleaning, and Garment Services", 22.0, 0.6, 0.0),
    (7230, "Beauty and Barber Shops", 40.0, 1.0, 0.1),
    (7276, "Tax Preparation Services", 150.0, 0.1, 0.3),
    (7349, "Cleaning, Maintenance, and Janitorial Services", 110.0, 0.1, 0.2),
    (7512, "Automobile Rental Agency", 210.0, 0.2, 0.6),
    (7531, "Automotive Body Repair Shops", 450.0, 0.1, 0.0),
    (7538, "Automotive Service Shops", 160.0, 0.8, 0.0),
    (7542, "Car Washes", 15.0, 0.6, 0.0),
    (7549, "Towing Services", 110.0, 0.1, 0.0),
    (7801, "Government-Licensed Online Casinos (Online Gambling)", 60.0, 0.0, 0.8),
    (7832, "Motion Picture Theaters", 24.0, 0.8, 0.4),
    (7922, "Theatrical Producers (Except Motion Pictures) and Ticket Agencies", 85.0, 0.2, 0.8),
    (7995, "Betting, including Lottery Tickets, Casino Gaming Chips", 40.0, 0.3, 0.3),
    (7996, "Amusement Parks, Carnivals, Circuses", 70.0, 0.2, 0.3),
    (7997, "Membership Clubs (Sports, Recreation, Athletic)", 50.0, 0.3, 0.8),
    (8011, "Doctors and Physicians", 120.0, 0.6, 0.3),
    (8021, "Dentists and Orthodontists", 180.0, 0.4, 0.1),
    (8043, "Opticians, Optical Goods, and Eyeglasses", 150.0, 0.2, 0.2),
    (8062, "Hospitals", 250.0, 0.2, 0.2),
    (8099, "Medical Services and Health Practitioners", 110.0, 0.4, 0.4),
    (8111, "Legal Services and Attorneys", 300.0, 0.05, 0.2),
    (8931, "Accounting, Auditing, and Bookkeeping Services", 200.0, 0.05, 0.3),
    (9402, "Postal Services - Government Only", 12.0, 0.6, 0.3),
)

# Merchant categories where fraudsters cash out: money transfer, electronics, jewellery,
# game credits, online gambling (the `risky_mcc` planted effect).
RISKY_MCCS: tuple[int, ...] = (4829, 5094, 5732, 5816, 7801)

# (city, state, zip, latitude, longitude, relative number of residents)
US_CITIES: tuple[tuple[str, str, int, float, float, float], ...] = (
    ("New York", "NY", 10001, 40.71, -74.01, 8.0),
    ("Los Angeles", "CA", 90012, 34.05, -118.24, 4.0),
    ("Chicago", "IL", 60601, 41.88, -87.63, 2.7),
    ("Houston", "TX", 77002, 29.76, -95.37, 2.3),
    ("Phoenix", "AZ", 85004, 33.45, -112.07, 1.6),
    ("Philadelphia", "PA", 19103, 39.95, -75.17, 1.6),
    ("San Antonio", "TX", 78205, 29.42, -98.49, 1.5),
    ("San Diego", "CA", 92101, 32.72, -117.16, 1.4),
    ("Dallas", "TX", 75201, 32.78, -96.80, 1.3),
    ("San Jose", "CA", 95113, 37.34, -121.89, 1.0),
    ("Austin", "TX", 78701, 30.27, -97.74, 0.9),
    ("Jacksonville", "FL", 32202, 30.33, -81.66, 0.9),
    ("Columbus", "OH", 43215, 39.96, -83.00, 0.9),
    ("Charlotte", "NC", 28202, 35.23, -80.84, 0.8),
    ("Indianapolis", "IN", 46204, 39.77, -86.16, 0.8),
    ("San Francisco", "CA", 94103, 37.77, -122.42, 0.9),
    ("Seattle", "WA", 98101, 47.61, -122.33, 0.7),
    ("Denver", "CO", 80202, 39.74, -104.99, 0.7),
    ("Washington", "DC", 20001, 38.91, -77.04, 0.7),
    ("Boston", "MA", 2108, 42.36, -71.06, 0.7),
    ("Nashville", "TN", 37203, 36.16, -86.78, 0.7),
    ("Detroit", "MI", 48226, 42.33, -83.05, 0.7),
    ("Portland", "OR", 97204, 45.52, -122.68, 0.6),
    ("Las Vegas", "NV", 89101, 36.17, -115.14, 0.6),
    ("Memphis", "TN", 38103, 35.15, -90.05, 0.6),
    ("Louisville", "KY", 40202, 38.25, -85.76, 0.6),
    ("Baltimore", "MD", 21202, 39.29, -76.61, 0.6),
    ("Milwaukee", "WI", 53202, 43.04, -87.91, 0.6),
    ("Albuquerque", "NM", 87102, 35.08, -106.65, 0.5),
    ("Tucson", "AZ", 85701, 32.22, -110.97, 0.5),
    ("Fresno", "CA", 93721, 36.74, -119.79, 0.5),
    ("Sacramento", "CA", 95814, 38.58, -121.49, 0.5),
    ("Kansas City", "MO", 64106, 39.10, -94.58, 0.5),
    ("Atlanta", "GA", 30303, 33.75, -84.39, 0.5),
    ("Miami", "FL", 33130, 25.76, -80.19, 0.5),
    ("Raleigh", "NC", 27601, 35.78, -78.64, 0.5),
    ("Omaha", "NE", 68102, 41.26, -95.93, 0.5),
    ("Minneapolis", "MN", 55401, 44.98, -93.27, 0.4),
    ("Tulsa", "OK", 74103, 36.15, -95.99, 0.4),
    ("Cleveland", "OH", 44113, 41.50, -81.69, 0.4),
    ("New Orleans", "LA", 70112, 29.95, -90.07, 0.4),
    ("Tampa", "FL", 33602, 27.95, -82.46, 0.4),
    ("Pittsburgh", "PA", 15222, 40.44, -80.00, 0.3),
    ("Cincinnati", "OH", 45202, 39.10, -84.51, 0.3),
    ("St. Louis", "MO", 63101, 38.63, -90.20, 0.3),
    ("Orlando", "FL", 32801, 28.54, -81.38, 0.3),
    ("Salt Lake City", "UT", 84101, 40.76, -111.89, 0.2),
    ("Honolulu", "HI", 96813, 21.31, -157.86, 0.3),
    ("Anchorage", "AK", 99501, 61.22, -149.90, 0.3),
    ("Boise", "ID", 83702, 43.62, -116.20, 0.2),
    ("Des Moines", "IA", 50309, 41.59, -93.62, 0.2),
    ("Bettendorf", "IA", 52722, 41.52, -90.52, 0.05),
    ("Beulah", "ND", 58523, 47.26, -101.78, 0.02),
    ("Little Rock", "AR", 72201, 34.75, -92.29, 0.2),
    ("Birmingham", "AL", 35203, 33.52, -86.80, 0.2),
    ("Richmond", "VA", 23219, 37.54, -77.44, 0.2),
    ("Hartford", "CT", 6103, 41.76, -72.69, 0.1),
    ("Providence", "RI", 2903, 41.82, -71.41, 0.2),
    ("Burlington", "VT", 5401, 44.48, -73.21, 0.05),
    ("Portland", "ME", 4101, 43.66, -70.26, 0.07),
    ("Charleston", "WV", 25301, 38.35, -81.63, 0.05),
    ("Columbia", "SC", 29201, 34.00, -81.03, 0.1),
    ("Jackson", "MS", 39201, 32.30, -90.18, 0.15),
    ("Wichita", "KS", 67202, 37.69, -97.34, 0.4),
    ("Sioux Falls", "SD", 57104, 43.55, -96.73, 0.2),
    ("Billings", "MT", 59101, 45.78, -108.50, 0.1),
    ("Cheyenne", "WY", 82001, 41.14, -104.82, 0.06),
    ("Newark", "NJ", 7102, 40.74, -74.17, 0.3),
    ("Wilmington", "DE", 19801, 39.74, -75.55, 0.07),
    ("Manchester", "NH", 3101, 42.99, -71.46, 0.1),
    ("Spokane", "WA", 99201, 47.66, -117.43, 0.2),
    ("El Paso", "TX", 79901, 31.76, -106.49, 0.7),
)

# (city, country, latitude, longitude): Kaggle puts the country in `merchant_state`.
FOREIGN_CITIES: tuple[tuple[str, str, float, float], ...] = (
    ("Rome", "Italy", 41.90, 12.50),
    ("Milan", "Italy", 45.46, 9.19),
    ("Mexico City", "Mexico", 19.43, -99.13),
    ("Cancun", "Mexico", 21.16, -86.85),
    ("Toronto", "Canada", 43.65, -79.38),
    ("Vancouver", "Canada", 49.28, -123.12),
    ("London", "United Kingdom", 51.51, -0.13),
    ("Paris", "France", 48.86, 2.35),
    ("Berlin", "Germany", 52.52, 13.40),
    ("Madrid", "Spain", 40.42, -3.70),
    ("Dublin", "Ireland", 53.35, -6.26),
    ("Amsterdam", "Netherlands", 52.37, 4.90),
    ("Athens", "Greece", 37.98, 23.73),
    ("Kingston", "Jamaica", 18.02, -76.80),
    ("Tokyo", "Japan", 35.68, 139.69),
    ("Seoul", "South Korea", 37.57, 126.98),
    ("Beijing", "China", 39.90, 116.41),
    ("Sydney", "Australia", -33.87, 151.21),
)

STREETS = (  # noqa: SIM905 (one string keeps the list short)
    "Rose Federal Main Oak Pine Maple Cedar Elm Washington Lake Hill Park Sunset River Forest "
    "Highland Madison Jefferson Lincoln Franklin Church Spring Valley Meadow Ridge Mill Willow "
    "Birch Hickory Walnut Chestnut Cherry Dogwood Magnolia Jackson Adams Wilson Grant Bay Ocean"
).split()
STREET_SUFFIXES = (  # noqa: SIM905
    "Lane Boulevard Street Avenue Drive Road Court Way Place Circle Terrace Parkway"
).split()

USE_CHIP = ("Swipe Transaction", "Chip Transaction", "Online Transaction")
SWIPE, CHIP, ONLINE = 0, 1, 2

# Error values as written (code 0 = no error), with per-mille rates in person / online.
# Bad PIN needs a terminal; Bad CVV and Bad Zipcode are card-not-present checks.
ERRORS: tuple[tuple[str, float, float], ...] = (
    ("", 0.0, 0.0),
    ("Insufficient Balance", 9.5, 10.0),
    ("Bad PIN", 2.6, 0.0),
    ("Technical Glitch", 2.0, 2.0),
    ("Bad Card Number", 0.4, 1.6),
    ("Bad Expiration", 0.3, 1.2),
    ("Bad CVV", 0.1, 1.5),
    ("Bad Zipcode", 0.05, 0.4),
    ("Bad PIN,Insufficient Balance", 0.15, 0.0),
    ("Insufficient Balance,Technical Glitch", 0.05, 0.05),
    ("Bad Card Number,Bad CVV", 0.01, 0.08),
    ("Bad CVV,Insufficient Balance", 0.01, 0.08),
    ("Bad Expiration,Bad Zipcode", 0.0, 0.04),
)
ERROR_VALUES = tuple(e[0] for e in ERRORS)
# Codes whose text names a card-data failure (number, expiry, CVV): typical of stolen data.
CARD_DATA_ERRORS = tuple(
    i for i, e in enumerate(ERROR_VALUES) if any(k in e for k in ("Card Number", "Expiration", "CVV"))
)

# Relative transaction volume by hour of day: quiet nights, busy afternoons.
HOUR_WEIGHTS = np.array(
    [
        *(0.25, 0.15, 0.1, 0.08, 0.1, 0.25, 0.6, 1.0, 1.3, 1.4, 1.5, 1.6),
        *(1.7, 1.6, 1.5, 1.5, 1.5, 1.6, 1.5, 1.3, 1.1, 0.9, 0.6, 0.4),
    ]
)
